import sys

from detector.local.cli import main

sys.exit(main(prog="python -m detector"))
