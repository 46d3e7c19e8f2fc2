"""``python -m pipelines [FOLDER...] [--devices PATH] [--catalog DIR]``: the main job, then a summary."""

import sys

from pipelines.run import main

sys.exit(main())
