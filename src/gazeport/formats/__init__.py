"""On-disk codecs only: pldata, msgpack objects, info files, intrinsics, raw time files, Neon
metadata (info/wearer/template JSON, calibration.bin, manifest.json, extimu protobuf) and Git LFS
pointer detection.

Nothing here knows what a recording is; the recording layer composes these readers.
"""
