"""Text of ``pupil_gaze_positions_info.txt``: what every exported column means (our own words)."""

FIELD_INFO = """\
pupil_positions.csv - one row per pupil datum (both eyes, every detector), sorted by time
  pupil_timestamp      Pupil time of the eye video frame the datum comes from [s]
  world_index          index of the nearest world video frame (Pupil Player's frame index)
  eye_id               0 = right eye camera, 1 = left eye camera
  confidence           detector confidence, 0 (none) .. 1 (certain)
  norm_pos_x/_y        pupil centre in the eye image, normalized, origin bottom-left
  diameter             pupil diameter in eye image pixels
  method               detector that produced the row (e.g. "2d c++", "pye3d ... real-time")
  ellipse_center_x/_y  fitted pupil ellipse centre [eye image px, origin top-left]
  ellipse_axis_a/_b    ellipse axes [px]
  ellipse_angle        ellipse rotation [degrees]
  diameter_3d          pupil diameter from the 3D eye model [mm]
  model_confidence     confidence of the 3D eye model
  model_id             id of the 3D eye model (legacy 3D detector only)
  sphere_center_x/_y/_z, sphere_radius
                       eyeball sphere in eye camera coordinates [mm]
  circle_3d_center_x/_y/_z, circle_3d_normal_x/_y/_z, circle_3d_radius
                       pupil as a 3D circle: centre [mm], unit normal, radius [mm]
  theta, phi           spherical angles of the pupil normal [rad]
  projected_sphere_center_x/_y, projected_sphere_axis_a/_b, projected_sphere_angle
                       eyeball sphere projected into the eye image [px, degrees]
  3D columns are empty for 2D-detector rows.

gaze_positions.csv - one row per gaze datum, sorted by time
  gaze_timestamp       Pupil time of the gaze datum [s] (mean of its pupil datums)
  world_index          index of the nearest world video frame
  confidence           mean confidence of the pupil datums it was mapped from
  norm_pos_x/_y        gaze point in the world image, normalized, origin bottom-left
  base_data            the pupil datums it was mapped from, as "<timestamp>-<eye id>" items
  gaze_point_3d_x/_y/_z
                       3D gaze point in world camera coordinates [mm]
  eye_center0_3d_x/_y/_z, gaze_normal0_x/_y/_z
                       right eye centre [mm] and gaze direction (unit vector), world camera
  eye_center1_3d_x/_y/_z, gaze_normal1_x/_y/_z
                       left eye centre [mm] and gaze direction (unit vector), world camera
  3D columns are empty for 2D gaze mapping; eye columns are empty for an eye not involved.

Times are Pupil time (seconds on the recording's own clock). Add
start_time_system_s - start_time_synced_s from info.player.json to get Unix time
(gazeport: Recording.to_wall_clock). Written by gazeport.
"""
