#pragma once
// Prometheus text exposition of what the foundation knows: SIP messages, calls, media.
// The API issue extends it (queues, agents, HTTP latencies).
#include <string>

namespace kefu::sip {
class UserAgent;
}
namespace kefu::media {
class MediaEngine;
}
namespace kefu::call {
class CallManager;
}
namespace kefu::acd {
class QueueService;
}

namespace kefu::app {

// `queues` may be null (no contact-center set-up).
std::string render_metrics(const sip::UserAgent& user_agent, const media::MediaEngine& media,
                           const call::CallManager& calls, const acd::QueueService* queues);

}  // namespace kefu::app
