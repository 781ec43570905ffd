"""``python -m imi`` (also what ``torchrun -m imi`` runs)."""

from imi.cli import main

main()
