"""Data stage: the dataset, its windows, the periods of the monthly rotation, the data report."""
