"""``python -m gazeport``: the same as the ``gazeport`` command."""

from gazeport.cli import main

if __name__ == "__main__":
    main()
