# src/ccid: atr area (sources, unit tests and fuzz targets).
