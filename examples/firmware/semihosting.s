@ Semihosting test firmware for stm32-opts: ARMv7-M integer Thumb code that talks to the
@ debugger through ARM semihosting (BKPT 0xAB, operation in R0, parameter in R1, result in R0).
@
@ It prints with SYS_WRITE0, opens ":tt" for writing and prints with SYS_WRITE, prints byte by
@ byte with SYS_WRITEC, asks SYS_ISTTY, SYS_CLOCK and SYS_GET_CMDLINE, makes a call the
@ debugger must refuse (SYS_SYSTEM: never run host commands) and checks it returns -1 with
@ errno ENOSYS, closes the handle and exits with status 7 through SYS_EXIT_EXTENDED.
@ Every result is also stored in the RAM words `results` (see below) for a debugger to read.
@ Rebuild with `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ SYS_OPEN, 0x01
    .equ SYS_CLOSE, 0x02
    .equ SYS_WRITEC, 0x03
    .equ SYS_WRITE0, 0x04
    .equ SYS_WRITE, 0x05
    .equ SYS_ISTTY, 0x09
    .equ SYS_CLOCK, 0x10
    .equ SYS_SYSTEM, 0x12
    .equ SYS_ERRNO, 0x13
    .equ SYS_GET_CMDLINE, 0x15
    .equ SYS_EXIT_EXTENDED, 0x20
    .equ ADP_STOPPED_APPLICATION_EXIT, 0x20026
    .equ OPEN_MODE_W, 4
    .equ ENOSYS, 38
    .equ EXIT_STATUS, 7
    .equ CMDLINE_SIZE, 64

    @ results[i], word offsets:
    .equ R_HANDLE, 0        @ SYS_OPEN: the handle
    .equ R_WRITE, 4         @ SYS_WRITE: bytes not written (0)
    .equ R_ISTTY, 8         @ SYS_ISTTY: 1
    .equ R_CLOCK, 12        @ SYS_CLOCK: centiseconds
    .equ R_UNSUPPORTED, 16  @ SYS_SYSTEM: -1
    .equ R_ERRNO, 20        @ SYS_ERRNO after it: ENOSYS
    .equ R_CMDLINE, 24      @ SYS_GET_CMDLINE: 0
    .equ R_CLOSE, 28        @ SYS_CLOSE: 0

    .macro semihost op
    movs r0, #\op
    bkpt 0xab
    .endm

    .macro print text
    ldr r1, =\text
    semihost SYS_WRITE0
    .endm

    .section .vectors, "a", %progbits
    .global vector_table
vector_table:
    .word _stack_top
    .word reset_handler
    .rept 14
    .word hang
    .endr

    .text
    .thumb_func
    .global reset_handler
    .type reset_handler, %function
reset_handler:
    ldr r4, =results
    ldr r1, =hello
    movs r0, #SYS_WRITE0
    .global first_call
first_call:
    bkpt 0xab

    @ SYS_OPEN(":tt", "w"): standard output.
    ldr r1, =open_block
    semihost SYS_OPEN
    str r0, [r4, #R_HANDLE]
    mov r5, r0

    @ SYS_WRITE(handle, line, length): R0 = bytes not written.
    ldr r1, =param
    str r5, [r1]
    ldr r2, =write_line
    str r2, [r1, #4]
    movs r2, #(write_line_end - write_line)
    str r2, [r1, #8]
    semihost SYS_WRITE
    str r0, [r4, #R_WRITE]

    @ SYS_WRITEC, one byte at a time.
    ldr r6, =writec_text
writec_next:
    ldrb r2, [r6]
    cbz r2, writec_done
    mov r1, r6
    semihost SYS_WRITEC
    adds r6, r6, #1
    b writec_next
writec_done:

    @ SYS_ISTTY(handle): 1 for the console.
    ldr r1, =param
    str r5, [r1]
    semihost SYS_ISTTY
    str r0, [r4, #R_ISTTY]

    movs r1, #0
    semihost SYS_CLOCK
    str r0, [r4, #R_CLOCK]

    @ A call the debugger refuses: -1, errno ENOSYS, and the program goes on.
    ldr r1, =param
    ldr r2, =hello
    str r2, [r1]
    movs r2, #0
    str r2, [r1, #4]
    semihost SYS_SYSTEM
    str r0, [r4, #R_UNSUPPORTED]
    cmn r0, #1
    bne unsupported_bad
    print unsupported_ok
    b unsupported_done
unsupported_bad:
    print unsupported_fail
unsupported_done:
    movs r1, #0
    semihost SYS_ERRNO
    str r0, [r4, #R_ERRNO]
    cmp r0, #ENOSYS
    bne errno_bad
    print errno_ok
    b errno_done
errno_bad:
    print errno_fail
errno_done:

    @ SYS_GET_CMDLINE([buffer, size]) and print it.
    ldr r1, =param
    ldr r2, =cmdline
    str r2, [r1]
    movs r2, #CMDLINE_SIZE
    str r2, [r1, #4]
    semihost SYS_GET_CMDLINE
    str r0, [r4, #R_CMDLINE]
    cbnz r0, cmdline_done
    print cmdline_label
    print cmdline
    print newline
cmdline_done:

    @ SYS_CLOSE(handle).
    ldr r1, =param
    str r5, [r1]
    semihost SYS_CLOSE
    str r0, [r4, #R_CLOSE]

    print goodbye
    ldr r1, =exit_block
    semihost SYS_EXIT_EXTENDED
    .global after_exit
after_exit:
    b after_exit

    .thumb_func
    .global hang
hang:
    b hang

    .ltorg

    .align 2
open_block:
    .word tt_name
    .word OPEN_MODE_W
    .word tt_name_end - tt_name - 1
exit_block:
    .word ADP_STOPPED_APPLICATION_EXIT
    .word EXIT_STATUS

tt_name:
    .asciz ":tt"
tt_name_end:
hello:
    .asciz "hello from the chip (SYS_WRITE0)\n"
write_line:
    .ascii "a line through SYS_WRITE to :tt\n"
write_line_end:
writec_text:
    .asciz "SYS_WRITEC ok\n"
unsupported_ok:
    .asciz "unsupported call returned -1\n"
unsupported_fail:
    .asciz "unsupported call did not return -1\n"
errno_ok:
    .asciz "errno is ENOSYS\n"
errno_fail:
    .asciz "errno is not ENOSYS\n"
cmdline_label:
    .asciz "command line: "
newline:
    .asciz "\n"
goodbye:
    .asciz "exiting with status 7\n"

    .bss
    .align 2
    .global results
results:
    .space 32
param:
    .space 12
cmdline:
    .space CMDLINE_SIZE
