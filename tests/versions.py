"""Which numpy plays which role in the tests, for the Python running them.

Blender 4.2-5.0 embed Python 3.11 and Blender 5.1-5.3 Python 3.13, and numpy has
cp313 wheels only from 2.1 on, so the versions differ per Python:

* ``OLD`` and ``NEW``: the two environments side by side (a 1.x and a 2.x on 3.11,
  two 2.x on 3.13);
* ``UPDATE``: what an environment is updated to;
* ``HOST``: the host's own numpy in unit tests (as Blender's own numpy would be);
* ``OLD_MSGPACK`` / ``NEW_MSGPACK``: a small compiled package, two versions.

Tests inside Blender read Blender's numpy at run time instead of assuming ``HOST``.
Scripts/test-wheels.txt downloads these per Python (environment markers).
"""

from __future__ import annotations

import sys

TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"

if sys.version_info >= (3, 13):
    OLD_NUMPY, NEW_NUMPY, UPDATE_NUMPY, HOST_NUMPY = "2.2.6", "2.4.6", "2.3.5", "2.5.5"
else:
    OLD_NUMPY, NEW_NUMPY, UPDATE_NUMPY, HOST_NUMPY = "1.26.4", "2.4.6", "2.2.6", "1.24.4"

if sys.version_info >= (3, 13):
    OLD_MSGPACK, NEW_MSGPACK = "1.1.0", "1.1.1"
else:
    OLD_MSGPACK, NEW_MSGPACK = "1.0.8", "1.1.0"
