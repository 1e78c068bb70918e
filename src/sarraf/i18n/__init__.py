"""Languages: which ones Sarraf speaks and how each is written, formatted and named to the platforms.

A leaf package (it imports nothing of ours), so every layer, the domain included, can ask it."""
