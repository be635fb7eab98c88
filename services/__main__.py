"""``python -m services``: the claimflow CLI, for when the console script is not on PATH."""

from services.cli import main

main()
