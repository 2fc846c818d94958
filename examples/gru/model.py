"""A GRU forecaster: a model of your own, trained by tunelab's loop (params/custom_gru.yaml).

tunelab calls `build(lags=..., inputs=..., **hyperparameters)` with the trial's values of every
hyperparameter that is not one of its training ones (learning_rate, epochs, ...). The module maps
a batch of input windows, shape (batch, lags, inputs), to one forecast per window, shape (batch,),
of the scaled target. Everything else (seeds, early stopping, rungs, curves, the device) is tunelab's.
"""

import torch
from torch import nn


class GRUForecaster(nn.Module):
    def __init__(self, inputs: int, hidden_size: int, num_layers: int, bidirectional: bool,
                 dropout: float):
        super().__init__()
        self.gru = nn.GRU(inputs, hidden_size, num_layers=num_layers, batch_first=True,
                          bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.directions = 2 if bidirectional else 1
        self.head = nn.Linear(hidden_size * self.directions, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # The last layer's final state of each direction: the forward one has read the window up to
        # its last hour, the backward one down to its first. (out[:, -1] would give the backward
        # direction one step only: its recurrent weights would get no gradient, and tunelab's
        # checklist reports them as dead parameters.)
        _, last = self.gru(x)                                  # (layers * directions, batch, hidden)
        last = last[-self.directions:]
        return self.head(torch.cat(list(last), dim=1)).squeeze(-1)   # one forecast per window


def build(lags: int, inputs: int, hidden_size: int = 32, num_layers: int = 1,
          bidirectional: bool = False, dropout: float = 0.0) -> nn.Module:
    return GRUForecaster(inputs, int(hidden_size), int(num_layers), bool(bidirectional), float(dropout))
