#include "demo/demo_setup.hpp"

namespace kefu::demo {

std::string_view demo_acd_setup() {
  return R"toml(# kefu demo contact center (embedded; `kefu serve --config FILE` takes the same form).
menu_queue = "service"

[[queue]]
name = "service"
display_name = "人工服务"
strategy = "longest_idle"
required_skills = { mandarin = 1 }
max_wait_s = 300
max_length = 50
overflow = "goodbye"
wrap_up_s = 5
ring_timeout_s = 20
max_missed_offers = 3
service_level_s = 20
recording = "all"
announce_interval_s = 30
last_agent_days = 7
last_agent_wait_s = 15

[[queue]]
name = "complaints"
display_name = "投诉建议"
strategy = "skills_weighted"
required_skills = { complaints = 7 }
relaxation = [ { after_s = 0, min_level = 7 }, { after_s = 30, min_level = 3 }, { after_s = 60, min_level = 0 } ]
max_wait_s = 180
max_length = 20
overflow = "queue:service"
wrap_up_s = 10
ring_timeout_s = 20
service_level_s = 30
recording = "all"
announce_interval_s = 30

[[agent]]
id = "1001"
name = "李娜"
password = "demo1001"
extensions = ["1001"]
presence_follows_phone = true
skills = { mandarin = 8 }
queues = { service = 0 }

[[agent]]
id = "1002"
name = "王强"
password = "demo1002"
extensions = ["1002"]
presence_follows_phone = true
skills = { mandarin = 8 }
queues = { service = 0 }

[[agent]]
id = "1003"
name = "刘洋"
password = "demo1003"
extensions = ["1003"]
presence_follows_phone = true
skills = { mandarin = 8 }
queues = { service = 0 }

[[agent]]
id = "1004"
name = "陈静"
password = "demo1004"
extensions = ["1004"]
presence_follows_phone = true
skills = { mandarin = 8 }
queues = { service = 0 }

[[agent]]
id = "1005"
name = "杨磊"
password = "demo1005"
extensions = ["1005"]
presence_follows_phone = true
skills = { mandarin = 8 }
queues = { service = 0 }

[[agent]]
id = "1006"
name = "赵敏"
password = "demo1006"
extensions = ["1006"]
presence_follows_phone = true
skills = { mandarin = 8, complaints = 8 }
queues = { service = 1, complaints = 0 }

[[agent]]
id = "1007"
name = "黄涛"
password = "demo1007"
extensions = ["1007"]
presence_follows_phone = true
skills = { mandarin = 8, complaints = 8 }
queues = { service = 1, complaints = 0 }

[[agent]]
id = "1008"
name = "周丽"
password = "demo1008"
extensions = ["1008"]
presence_follows_phone = true
skills = { mandarin = 8, complaints = 8 }
queues = { service = 1, complaints = 0 }

[[agent]]
id = "1009"
name = "吴刚"
password = "demo1009"
extensions = ["1009"]
presence_follows_phone = true
skills = { mandarin = 8, complaints = 5 }
queues = { service = 1, complaints = 0 }

[[agent]]
id = "1010"
name = "郑爽"
password = "demo1010"
extensions = ["1010"]
presence_follows_phone = true
skills = { mandarin = 8, complaints = 5 }
queues = { service = 1, complaints = 0 }

[[customer]]
name = "王芳"
vip_tier = 2
phones = ["+8613800138000", "020-83331234"]

[[customer]]
name = "张伟"
vip_tier = 0
phones = ["13912345678"]

[[route]]
number = "4100"
queue = "service"

[[route]]
number = "4200"
queue = "complaints"
)toml";
}

}  // namespace kefu::demo
