//! aluna's errors as Python exceptions (defined in `aluna.exceptions`, so they can subclass
//! both `AlunaError` and `ValueError`).

use aluna_core::Error;
use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::PyErr;

pyo3::import_exception!(aluna.exceptions, ColumnError);
pyo3::import_exception!(aluna.exceptions, BadValueError);
pyo3::import_exception!(aluna.exceptions, DuplicateError);
pyo3::import_exception!(aluna.exceptions, EmptyInputError);
pyo3::import_exception!(aluna.exceptions, UnknownNodeError);
pyo3::import_exception!(aluna.exceptions, ArgumentError);
pyo3::import_exception!(aluna.exceptions, SingularError);
pyo3::import_exception!(aluna.exceptions, NotDefinedError);
pyo3::import_exception!(aluna.exceptions, ConvergenceError);
pyo3::import_exception!(aluna.exceptions, InternalError);
pyo3::import_exception!(aluna.exceptions, AlunaError);

/// The Python exception for an aluna error: one arm per variant.
pub(crate) fn to_py_err(err: Error) -> PyErr {
    let message = err.to_string();
    match err {
        Error::MissingColumn { .. } | Error::WrongType { .. } => ColumnError::new_err(message),
        Error::NullValue { .. } | Error::BadValue { .. } => BadValueError::new_err(message),
        Error::Duplicate { .. } => DuplicateError::new_err(message),
        Error::Empty { .. } => EmptyInputError::new_err(message),
        Error::UnknownNode { .. } => UnknownNodeError::new_err(message),
        Error::InvalidArgument { .. } => ArgumentError::new_err(message),
        Error::Singular { .. } => SingularError::new_err(message),
        Error::NotDefined { .. } => NotDefinedError::new_err(message),
        Error::NotConverged { .. } => ConvergenceError::new_err(message),
        Error::Cancelled => PyKeyboardInterrupt::new_err("aluna computation cancelled"),
        Error::Io { .. } => AlunaError::new_err(message),
        _ => AlunaError::new_err(message),
    }
}

/// Extension to turn `aluna_core::Result` into `PyResult`.
pub(crate) trait IntoPy<T> {
    fn py_err(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for aluna_core::Result<T> {
    fn py_err(self) -> pyo3::PyResult<T> {
        self.map_err(to_py_err)
    }
}
