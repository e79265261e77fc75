"""The post domain: the one writer, its index, import, export and pruning."""
