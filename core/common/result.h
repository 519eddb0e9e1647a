#pragma once
// Errors are values: every fallible operation in core/ returns Result<T>, which
// holds either the value or an Error with a machine code and a human sentence.

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace deso {

struct Error {
    QString code;        // stable machine code, e.g. "image.too_large"
    QString message;     // one human sentence, safe to show to a user or send as {"error": ...}
    int httpStatus = 0;  // the HTTP status that fits, when the error crosses HTTP (0 = none)

    Error() = default;
    Error(QString c, QString m, int status = 0)
        : code(std::move(c)), message(std::move(m)), httpStatus(status) {}

    // "message (code)" for logs and command-line output.
    QString toString() const;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_state.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<0>(m_state); }
    T &value() & { return std::get<0>(m_state); }
    T &&value() && { return std::get<0>(std::move(m_state)); }
    const T *operator->() const { return &std::get<0>(m_state); }
    T *operator->() { return &std::get<0>(m_state); }
    const T &operator*() const & { return value(); }

    const Error &error() const { return std::get<1>(m_state); }

private:
    std::variant<T, Error> m_state;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace deso
