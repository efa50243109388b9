#pragma once
// The demo's contact center, in the same TOML form as `kefu serve --config`: two queues, ten
// agents on extensions 1001-1010 (passwords demo1001-demo1010) whose presence follows their
// phones, a VIP customer and two direct service numbers.
#include <string_view>

namespace kefu::demo {

std::string_view demo_acd_setup();

}  // namespace kefu::demo
