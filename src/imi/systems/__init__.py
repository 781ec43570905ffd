"""One folder per paper or variant family: networks, losses, recipe (the written-out step)."""
