"""ML dataset export from the label store (COCO, YOLO, Pascal VOC, CSV, JSON) — issue 11, in progress."""
