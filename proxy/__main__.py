"""``python -m proxy``: the ``switchyard`` command line."""
import sys

from proxy.cli import main

sys.exit(main())
