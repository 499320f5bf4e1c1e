# src/ccid: t1 area (sources, unit tests and fuzz targets).
