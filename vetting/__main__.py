"""Allow `python -m vetting`."""

from vetting.cli import main

if __name__ == "__main__":
    main()
