"""`python -m ablation_pipeline.cli`."""

from .app import main

main()
