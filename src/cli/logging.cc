#include "cli/logging.h"

#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "util/json_log.h"

namespace vmc::cli {

void configure_logging(const session::GlobalOptions& g) {
  spdlog::drop("vm-capture");  // called again (tests): replace, do not throw
  auto logger = spdlog::stderr_color_mt("vm-capture");
  if (g.json_logs) {
    // Messages carry VM names, host output and server errors: a pattern would paste them
    // into the JSON unescaped.
    logger->set_formatter(std::make_unique<util::JsonLogFormatter>());
  } else {
    logger->set_pattern("%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(g.quiet ? spdlog::level::warn
                            : (g.verbosity > 0 ? spdlog::level::debug : spdlog::level::info));
  spdlog::set_default_logger(logger);
}

}  // namespace vmc::cli
