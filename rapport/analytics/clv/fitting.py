"""What every model fit returns, and the error it raises when the data cannot support a fit."""

from dataclasses import dataclass, field


class ClvError(ValueError):
    """Data a model cannot be fitted to or scored with; ``message`` says why, for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FitResult:
    """A fitted model: its parameters by name, the log-likelihood, and how the fit went."""

    model: str  # "bgnbd", "pareto_nbd" or "gamma_gamma"
    params: dict[str, float]
    log_likelihood: float
    customers: int  # how many customers the likelihood summed over
    converged: bool
    iterations: int
    seconds: float
    message: str = ""  # the optimiser's own words when it did not converge
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Return the result as plain JSON-ready values."""
        return {
            "model": self.model,
            "params": dict(self.params),
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
            "converged": self.converged,
            "iterations": self.iterations,
            "seconds": self.seconds,
            "message": self.message,
            **({"extra": dict(self.extra)} if self.extra else {}),
        }
