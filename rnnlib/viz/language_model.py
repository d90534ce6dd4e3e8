"""Figures for the character-level language model (notebook 11).

plot_model_comparison   one bar per model: validation NLL per character
plot_unit_over_text     one hidden unit's value at every character of a text,
                        the characters coloured by it (Karpathy's heat maps)
"""

import matplotlib.pyplot as plt
import numpy as np

from .drawing import new_axes


def plot_model_comparison(scores, ax=None, title=None, ylabel="nats per character"):
    """Bars of {model name: score}, in the dict's order, each labelled with its
    value to two decimals.  Returns the Figure."""
    if not isinstance(scores, dict) or not scores:
        raise ValueError("scores must be a non-empty dict {model name: number}")
    names, values = list(scores), np.array([float(v) for v in scores.values()])
    fig, ax, _ = new_axes(ax, (1.2 * len(names) + 2, 3.2))
    bars = ax.bar(
        names, values, color=plt.cm.viridis(np.linspace(0.15, 0.85, len(names)))
    )
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=2)
    ax.set_ylim(0, values.max() * 1.15)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_unit_over_text(text, values, unit=None, ax=None, vmax=1.0, cmap="RdBu_r"):
    """One box per character of `text`, coloured by `values` (len(text),),
    e.g. a tanh unit's h_t after reading each character (red +, blue -).

    unit: the unit's index, for the title.  vmax: the colour range ±vmax.
    Returns the Figure.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(text),):
        raise ValueError(
            f"values must have shape (len(text),) = ({len(text)},); got {values.shape}"
        )
    fig, ax, _ = new_axes(ax, (0.45 * len(text) + 1.5, 1.3))
    image = ax.imshow(values[None, :], cmap=cmap, vmin=-vmax, vmax=vmax, aspect="auto")
    for t, char in enumerate(text):
        ax.text(t, 0, char, ha="center", va="center", fontsize=13, family="monospace")
    ax.set_yticks([])
    ax.set_xticks(range(len(text)))
    ax.set_xticklabels(range(1, len(text) + 1), fontsize=7)
    ax.set_xlabel("character read")
    ax.set_title("hidden unit" + (f" {unit}" if unit is not None else ""))
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    return fig
