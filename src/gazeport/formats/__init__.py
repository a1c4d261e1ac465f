"""On-disk codecs only: pldata, msgpack objects, info files, intrinsics, raw time files.

Nothing here knows what a recording is; the recording layer composes these readers.
"""
