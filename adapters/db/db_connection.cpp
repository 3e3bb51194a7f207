#include "adapters/db/db_connection.hpp"

#include <algorithm>

namespace egov::adapters::db {

CallLimits CallLimits::from(std::chrono::milliseconds statement_timeout,
                            core::Clock::time_point deadline) {
  CallLimits limits{core::Clock::now() + statement_timeout, false};
  if (deadline < limits.until) limits = CallLimits{deadline, true};
  return limits;
}

std::chrono::milliseconds CallLimits::left() const {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - core::Clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

core::Error CallLimits::timeout() const {
  if (deadline_binds) {
    return core::makeError(core::ErrorKind::deadline_exceeded,
                           "deadline passed during the statement");
  }
  return core::makeError(core::ErrorKind::backend_unavailable, "statement timeout");
}

core::Error runError(const DbStatement& statement, std::size_t index, std::size_t runs,
                     core::Error error) {
  if (statement.for_each) {
    error.message = "for_each node " + std::to_string(index + 1) + " of " + std::to_string(runs) +
                    ": " + error.message;
  }
  return error;
}

}  // namespace egov::adapters::db
