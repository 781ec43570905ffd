"""Avatar label maps: (render, per-part label map) pairs for semantic image synthesis (SPEC-semantic §1)."""
