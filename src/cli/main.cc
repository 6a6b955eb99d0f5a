#include <cstdio>

int main() {
  std::puts("authgate");
  return 0;
}
