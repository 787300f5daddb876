"""The built-in transforms, registered through register_transforms like anyone's."""
