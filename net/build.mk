# net/: the small HTTP/1.1 client (plain TCP and TLS) shared by the Lambda bootstrap and the registry
# client. Other components link the fixed path build/lib/libkilt_net.a and add $(NET_LDLIBS) in recipes.

NET_SRCS   := net/http_client.cc
NET_LIB    := $(B)/lib/libkilt_net.a
# OpenSSL and http_parser by full path: the Lambda bootstrap must not need libssl.so at run time
# (Amazon Linux 2023 ships OpenSSL 3 too, but not libhttp_parser), and one way of linking keeps
# every consumer the same.
NET_LDLIBS  = /usr/lib/x86_64-linux-gnu/libssl.a /usr/lib/x86_64-linux-gnu/libcrypto.a \
              /usr/lib/x86_64-linux-gnu/libhttp_parser.a -ldl -lpthread

$(NET_LIB): $(NET_SRCS:%.cc=$(OBJ)/host/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

ALL += $(NET_LIB)

# Tests: unit tests against an in-process canned server (framing, timeouts, caps), then TLS and a
# real Python server end to end (tests/lambda/net_e2e_test.sh) through a tiny fetch tool.
$(TESTBIN)/net_unit: $(OBJ)/san/net/http_client_test.o $(OBJ)/san/net/http_client.o $(CATCH_MAIN)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ $(NET_LDLIBS)

$(TESTBIN)/kilt-http-fetch: $(OBJ)/host/net/http_fetch_main.o $(NET_LIB)
	@mkdir -p $(@D)
	$(HOST_CXX) $^ -o $@ $(NET_LDLIBS)

TEST_SUITES += net
.PHONY: test-net
test-net: $(TESTBIN)/net_unit $(TESTBIN)/kilt-http-fetch
	$(TESTBIN)/net_unit
	tests/lambda/net_e2e_test.sh $(TESTBIN)/kilt-http-fetch
