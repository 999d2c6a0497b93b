# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""One output bag per input bag, from its windows' parts.

The split merge copies nothing: the parts are already the bag's data files, and
a ``metadata.yaml`` listing them in time order (as ``ros2 bag record`` writes a
split bag) makes them one bag for rosbag2 and ``rosbags``. The copying merge
reads that bag and writes its messages into one data file.
"""

from __future__ import annotations

import contextlib
import heapq
import shutil
from collections.abc import Sequence
from typing import Any

import yaml

from stereo_depth_node.batch.storage import LocalStore, UrlStore
from stereo_depth_node.batch.window_task import WindowRecord
from stereo_depth_node.ros.bag_io import METADATA_FILE, BagReader, BagWriter

# custom_data: "<run>:<input bag identity>" of the run that merged the bag, once it is whole
RUN_KEY = "stereo_depth_batch_run"


def split_metadata(records: Sequence[WindowRecord], marker: str | None) -> dict[str, Any]:
    """rosbag2 metadata of the split bag made of ``records``' parts, in window order.

    Topics are the union of the parts' topics, with their counts summed; the
    bag's ``custom_data`` holds ``marker`` (see :data:`RUN_KEY`) unless it is None.
    """
    parts = [record.metadata["rosbag2_bagfile_information"]
             for record in sorted(records, key=lambda r: r.window) if record.metadata]
    topics: dict[str, dict[str, Any]] = {}
    files = []
    for part in parts:
        for topic in part["topics_with_message_count"]:
            name = topic["topic_metadata"]["name"]
            if name in topics:
                topics[name]["message_count"] += topic["message_count"]
            else:
                topics[name] = {"topic_metadata": topic["topic_metadata"],
                                "message_count": topic["message_count"]}
        files += part["files"]
    start = min(f["starting_time"]["nanoseconds_since_epoch"] for f in files)
    end = max(f["starting_time"]["nanoseconds_since_epoch"] + f["duration"]["nanoseconds"]
              for f in files)
    info = dict(parts[0])
    info.update(relative_file_paths=[f["path"] for f in files],
                duration={"nanoseconds": end - start},
                starting_time={"nanoseconds_since_epoch": start},
                message_count=sum(f["message_count"] for f in files),
                topics_with_message_count=list(topics.values()), files=files,
                custom_data={RUN_KEY: marker} if marker else None)
    return {"rosbag2_bagfile_information": info}


def merged_run(store: LocalStore | UrlStore, bag: str) -> str | None:
    """The marker of the run whose whole bag ``bag``'s output folder holds, if any."""
    data = store.read_bytes(f"{bag}/{METADATA_FILE}")
    if data is None:
        return None
    try:
        info = yaml.safe_load(data)["rosbag2_bagfile_information"]
        return str((info.get("custom_data") or {}).get(RUN_KEY) or "") or None
    except (yaml.YAMLError, KeyError, TypeError):
        return None


def merge_split(store: LocalStore | UrlStore, bag: str, records: Sequence[WindowRecord],
                marker: str | None) -> None:
    """Make ``bag``'s parts one bag: its ``metadata.yaml``, written last.

    Without a ``marker`` the bag is readable but not yet whole for a re-run (the
    copying merge marks it when it is done).
    """
    document = yaml.safe_dump(split_metadata(records, marker), sort_keys=False)
    store.write_bytes(f"{bag}/{METADATA_FILE}", document.encode())


def merge_copy(store: LocalStore, bag: str, parts: Sequence[str], storage: str, run: str,
               marker: str) -> None:
    """Rewrite ``bag``'s ``parts`` as one data file in bag-time order (a local output only).

    The parts stay in place until the single-file bag is whole; then they are
    replaced by the single file, and its metadata written last.
    """
    work = store.scratch(f"{run}/{bag}/copy")
    single = work / bag
    shutil.rmtree(single, ignore_errors=True)
    with contextlib.ExitStack() as stack, BagWriter(single, storage) as writer:
        readers = [stack.enter_context(BagReader(store.root / bag / part)) for part in parts]
        streams = [((timestamp, topic, data, reader.topics[topic])
                    for topic, timestamp, data in reader.messages()) for reader in readers]
        for timestamp, topic, data, type_name in heapq.merge(*streams, key=lambda m: m[0]):
            writer.write(topic, type_name, timestamp, data)
    metadata = yaml.safe_load((single / METADATA_FILE).read_text())
    metadata["rosbag2_bagfile_information"]["custom_data"] = {RUN_KEY: marker}
    remove_leftovers(store, bag, keep=())  # no bag until the single file's metadata is in
    for path in sorted(single.iterdir()):
        if path.name != METADATA_FILE:
            store.put(path, f"{bag}/{path.name}")
    store.write_bytes(f"{bag}/{METADATA_FILE}", yaml.safe_dump(metadata, sort_keys=False).encode())
    shutil.rmtree(work, ignore_errors=True)


def remove_leftovers(store: LocalStore | UrlStore, bag: str, keep: Sequence[str]) -> None:
    """Remove what an interrupted or earlier run left in ``bag``'s folder, but ``keep``.

    Its ``metadata.yaml`` goes first: the folder is no bag until merged again.
    """
    store.remove(f"{bag}/{METADATA_FILE}")
    for name in store.names(bag):
        if name not in keep:
            store.remove(f"{bag}/{name}")

