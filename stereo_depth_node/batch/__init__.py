# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth batch``: many bags, cut into windows, on local workers, Dask or Ray.

Above ``ros/`` (it reuses the bag reading, writing and per-set processing of
``stereo-depth process``) and below ``cli.py``; nothing in the node imports it.
"""
