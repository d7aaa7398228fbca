"""Domain errors: raised by services, shown to people next to the field they concern."""


class DomainError(Exception):
    """A rule refused an operation. `message` is translated and fit to show a person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def attach_to_form(form, error: DomainError) -> None:
    """Put a service's refusal next to its field, or at the top of the form."""
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        form.form_errors.append(error.message)
