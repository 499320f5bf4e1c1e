# src/ccid: message area (sources, unit tests and fuzz targets).
