# net/: Kilt's HTTP client vocabulary (net/http.h) and the small HTTP/1.1 client (plain TCP and TLS)
# behind it, shared by the Lambda bootstrap, the registry client and the webhook's apiserver client.
# Programs link $(call kilt_libs,net base) and add $(NET_LDLIBS) in their recipes.
NET_SRCS := net/http.cc net/http_client.cc
$(eval $(call kilt_library,net,$(NET_SRCS)))
PUBLIC_HEADERS += net/http.h net/http_client.h
# OpenSSL and http_parser by full path: the Lambda bootstrap must not need libssl.so at run time
# (Amazon Linux 2023 ships OpenSSL 3 too, but not libhttp_parser), and one way of linking keeps
# every consumer the same.
NET_LDLIBS  = /usr/lib/x86_64-linux-gnu/libssl.a /usr/lib/x86_64-linux-gnu/libcrypto.a \
              /usr/lib/x86_64-linux-gnu/libhttp_parser.a -ldl -lpthread

ALL += $(call kilt_libs,net)

# Tests: unit tests against an in-process canned server (framing, timeouts, caps), then TLS and a
# real Python server end to end (tests/lambda/net_e2e_test.sh) through a tiny fetch tool.
$(TESTBIN)/net_unit: $(OBJ)/san/net/http_client_test.o $(CATCH_MAIN) $(call kilt_san_libs,net base)
	@mkdir -p $(@D)
	$(HOST_CXX) $(TEST_SANFLAGS) $^ -o $@ $(NET_LDLIBS)

$(TESTBIN)/kilt-http-fetch: $(OBJ)/host/net/http_fetch_main.o $(call kilt_libs,net base)
	@mkdir -p $(@D)
	$(HOST_CXX) $^ -o $@ $(NET_LDLIBS)

TEST_SUITES += net
.PHONY: test-net
test-net: $(TESTBIN)/net_unit $(TESTBIN)/kilt-http-fetch
	$(TESTBIN)/net_unit
	tests/lambda/net_e2e_test.sh $(TESTBIN)/kilt-http-fetch
