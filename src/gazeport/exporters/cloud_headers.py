"""Pupil Cloud "Timeseries Data" headers, verbatim (spec neon-format §3.1)."""

from __future__ import annotations

GAZE = (
    "section id,recording id,timestamp [ns],gaze x [px],gaze y [px],worn,fixation id,blink id,"
    "azimuth [deg],elevation [deg]"
)
FIXATIONS = (
    "section id,recording id,fixation id,start timestamp [ns],end timestamp [ns],duration [ms],"
    "fixation x [px],fixation y [px],azimuth [deg],elevation [deg]"
)
SACCADES = (
    "section id,recording id,saccade id,start timestamp [ns],end timestamp [ns],duration [ms],"
    "amplitude [px],amplitude [deg],mean velocity [px/s],peak velocity [px/s]"
)
BLINKS = "section id,recording id,blink id,start timestamp [ns],end timestamp [ns],duration [ms]"
EVENTS = "recording id,timestamp [ns],name,type"
IMU = (
    "section id,recording id,timestamp [ns],gyro x [deg/s],gyro y [deg/s],gyro z [deg/s],"
    "acceleration x [g],acceleration y [g],acceleration z [g],roll [deg],pitch [deg],yaw [deg],"
    "quaternion w,quaternion x,quaternion y,quaternion z"
)
EYE_STATES = (
    "section id,recording id,timestamp [ns],pupil diameter left [mm],pupil diameter right [mm],"
    "eyeball center left x [mm],eyeball center left y [mm],eyeball center left z [mm],"
    "eyeball center right x [mm],eyeball center right y [mm],eyeball center right z [mm],"
    "optical axis left x,optical axis left y,optical axis left z,"
    "optical axis right x,optical axis right y,optical axis right z"
)
#: The eyelid columns of format 2.5, in the docs' text and order (no ``[rad]``): the real Cloud
#: text is unverified (spec §3.1 and §6, an open question).
EYELIDS = (
    "eyelid angle top left,eyelid angle bottom left,eyelid angle top right,"
    "eyelid angle bottom right,eyelid aperture left [mm],eyelid aperture right [mm]"
)
WORLD_TIMESTAMPS = "section id,recording id,timestamp [ns]"

#: gazeport field of each 3d_eye_states column after the ids and timestamp, header order.
EYE_STATE_FIELDS = (
    "pupil_diameter_left_mm",
    "pupil_diameter_right_mm",
    *(f"eyeball_center_{s}_{a}_mm" for s in ("left", "right") for a in "xyz"),
    *(f"optical_axis_{s}_{a}" for s in ("left", "right") for a in "xyz"),
)
EYELID_FIELDS = (
    "eyelid_angle_top_left_rad",
    "eyelid_angle_bottom_left_rad",
    "eyelid_angle_top_right_rad",
    "eyelid_angle_bottom_right_rad",
    "eyelid_aperture_left_mm",
    "eyelid_aperture_right_mm",
)
