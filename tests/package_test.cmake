# The tapegrad CMake package end to end: installs the build BIN into a prefix inside it, then
# configures, builds and runs tests/package_consumer against that prefix only.
#   cmake -DBIN=<build dir> -DSRC=<source dir> [-DGENERATOR=...] -P tests/package_test.cmake
set(work ${BIN}/package-test)
file(REMOVE_RECURSE ${work})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${BIN} --prefix ${work}/prefix)
run(${CMAKE_COMMAND} -S ${SRC}/tests/package_consumer -B ${work}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${work}/prefix -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${work}/build)
run(${work}/build/app)
message(STATUS "package_consumer: built and ran against ${work}/prefix")
