# src/common
