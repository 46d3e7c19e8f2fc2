"""``python -m pipelines [DATA_DIR] [--catalog DIR]``: the main job, then a summary."""

import sys

from pipelines.run import main

sys.exit(main())
