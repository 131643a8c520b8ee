// The ImageSource the Lambda's and the webhook's tests use: answers from a table, records what it was
// asked, and adds the problems it is told to report.
#ifndef KILT_LOOKUP_FAKE_IMAGE_SOURCE_H_
#define KILT_LOOKUP_FAKE_IMAGE_SOURCE_H_

#include <map>
#include <string>
#include <vector>

#include "lookup/image_source.h"

namespace kilt::lookup {

class FakeImageSource : public ImageSource {
 public:
  std::vector<std::string> Resolve(const std::vector<ImageNeed>& needs, const LookupContext& who, Deadline,
                                   ImageConfigs* out) override {
    ++calls;
    last = who;
    std::vector<std::string> problems = extra_problems;
    for (const ImageNeed& n : needs) {
      asked.push_back(n.image);
      auto it = known.find(n.image);
      if (it == known.end()) {
        problems.push_back(n.image + ": not found in registry");
      } else {
        (*out)[n] = it->second;
      }
    }
    return problems;
  }

  std::map<std::string, ImageConfig> known;  // by reference, for every platform
  std::vector<std::string> extra_problems;   // reported by every call (a Secret that could not be read)
  std::vector<std::string> asked;            // every reference asked for, in order
  LookupContext last;                        // who asked last
  int calls = 0;
};

}  // namespace kilt::lookup

#endif  // KILT_LOOKUP_FAKE_IMAGE_SOURCE_H_
