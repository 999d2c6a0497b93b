# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Test and demo harness: scenes with ground truth, accuracy metrics, the node as a process.

Nothing in the runtime (``core``, ``ros``, ``offline``, the ``stereo-depth``
command) imports this package.
"""
