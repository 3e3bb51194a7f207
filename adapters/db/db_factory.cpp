#include "adapters/db/db_factory.hpp"

#include "adapters/db/db_config.hpp"
#include "adapters/db/db_connection.hpp"
#include "adapters/db/db_endpoint.hpp"

namespace egov::adapters::db {

std::shared_ptr<core::Endpoint> makeDbEndpoint(const core::EndpointContext& context) {
  auto parsed = parseDbConfig(context.settings);
  if (!parsed) return nullptr;
  auto config = std::make_shared<const DbConfig>(std::move(*parsed));
  if (config->driver == DbDriverType::sqlite) {
    const auto errors_before = context.settings.errors().size();
    checkSqliteStatements(*config, context.settings);
    if (context.settings.errors().size() != errors_before) return nullptr;
  }
  auto driver = config->driver == DbDriverType::sqlite ? makeSqliteDriver(config)
                                                       : makePostgresDriver(config);
  return std::make_shared<DbEndpoint>(context.name, std::move(config), std::move(driver),
                                      context.runtime.workers());
}

}  // namespace egov::adapters::db
