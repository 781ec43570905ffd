"""ClipScenes: procedural clip-art scenes in albums, with captions (SPEC-context-gan §3)."""
