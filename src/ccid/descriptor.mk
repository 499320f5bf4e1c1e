# src/ccid: descriptor area (sources, unit tests and fuzz targets).
