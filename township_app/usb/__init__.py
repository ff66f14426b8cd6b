"""USB sticks (sneakernet) at the township: the same signed bytes as over the network, as files."""
