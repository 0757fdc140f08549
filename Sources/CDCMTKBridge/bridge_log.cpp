// DCMTK's own log (oflog, a log4cplus copy) routed to the Swift side: no DCMTK line ever reaches the
// terminal; warnings and errors go to the callback set by ssdcm_log_route (swift-log at debug level).
#include "bridge_internal.hpp"
#include <dcmtk/oflog/oflog.h>
#include <dcmtk/oflog/appender.h>
#include <dcmtk/oflog/spi/logevent.h>
#include <atomic>
#include <mutex>

namespace {
std::atomic<ssdcm_log_callback> g_callback{nullptr};

/// Hands every event at WARN or above to the callback (or drops it when none is set).
class ForwardingAppender : public dcmtk::log4cplus::Appender {
public:
    ~ForwardingAppender() override { destructorImpl(); }
    void close() override {}

protected:
    void append(const dcmtk::log4cplus::spi::InternalLoggingEvent &event) override {
        ssdcm_log_callback callback = g_callback.load();
        if (!callback) return;
        int level = event.getLogLevel() >= dcmtk::log4cplus::ERROR_LOG_LEVEL ? 2 : 1;
        callback(level, event.getLoggerName().c_str(), event.getMessage().c_str());
    }
};
} // namespace

namespace ssdcm {
void installLogRouting() {
    static std::once_flag once;
    std::call_once(once, [] {
        // DCMTK's first getLogger sets up its default console appender: let it, then replace it.
        (void)OFLog::getLogger("dcmtk.dcmdata");
        dcmtk::log4cplus::Logger root = dcmtk::log4cplus::Logger::getRoot();
        root.removeAllAppenders();
        root.addAppender(dcmtk::log4cplus::SharedAppenderPtr(new ForwardingAppender()));
        root.setLogLevel(dcmtk::log4cplus::WARN_LOG_LEVEL);
    });
}
} // namespace ssdcm

extern "C" void ssdcm_log_route(ssdcm_log_callback callback) {
    g_callback.store(callback);
    ssdcm::installLogRouting();
}
