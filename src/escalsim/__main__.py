"""``python -m escalsim``: the same as the ``escalsim`` command."""

from escalsim.cli import main

if __name__ == "__main__":
    main()
