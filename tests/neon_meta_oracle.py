"""pupil-labs-neon-recording as the test oracle of the Neon metadata decoders.

The vendor reader leaves files open (ResourceWarning, an error under pytest's warning filter), so
everything is read inside one block that ignores those warnings and collects the garbage.
"""

from __future__ import annotations

import functools
import gc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest


@functools.cache
def oracle_values(folder: Path) -> dict[str, Any]:
    """info, wearer, calibration fields, imu and raw extimu packets of ``folder`` by the vendor."""
    nr = pytest.importorskip("pupil_labs.neon_recording")
    imu_module = pytest.importorskip("pupil_labs.neon_recording.timeseries.imu.imu_timeseries")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        rec = nr.open(folder)
        calibration = rec.calibration
        values: dict[str, Any] = {
            "info": dict(rec.info),
            "id": rec.id,
            "start_time": rec.start_time,
            "duration": rec.duration,
            "device_serial": rec.device_serial,
            "wearer": dict(rec.wearer),
            "calibration": {
                name: np.array(getattr(calibration, name))
                for name in calibration.dtype.names
                if name != "serial"
            }
            | {"serial": calibration.serial},
            "imu": np.array(rec.imu.data),
            "extimu": {},
        }
        for raw in sorted(folder.glob("extimu ps*.raw"), key=lambda p: int(p.stem[9:])):
            packets = imu_module.parse_neon_imu_raw_packets(raw.read_bytes())
            values["extimu"][raw.name] = [
                (
                    p.tsNs,
                    p.gyroData.x,
                    p.gyroData.y,
                    p.gyroData.z,
                    p.accelData.x,
                    p.accelData.y,
                    p.accelData.z,
                    p.rotVecData.w,
                    p.rotVecData.x,
                    p.rotVecData.y,
                    p.rotVecData.z,
                )
                for p in packets
            ]
        del rec, calibration
        gc.collect()
    return values
