"""``coinstream demo``: the whole pipeline on the local stack, watched live, summarised at the end."""
