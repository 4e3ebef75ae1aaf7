"""Third-party code iienv carries under its own package name.

iienv must add nothing to Blender's process but its own modules: importing
``pip`` (whose vendored ``packaging`` iienv once used) makes setuptools'
distutils hack assert at the next ``import setuptools`` by anyone, and a
top-level ``packaging`` of iienv's would shadow or be shadowed by an add-on's.
So the few modules of ``packaging`` 24.2 (PyPI, Apache-2.0 or BSD-2-Clause:
LICENSE* beside them) that requirements.py needs live here, unchanged; they
import each other relatively.
"""
