@ Semihosting host-file firmware for stm32-opts: ARMv7-M integer Thumb code that uses host files
@ through SYS_OPEN, which the server allows only inside `monitor arm semihosting_basedir DIR`.
@
@ It writes "result.txt", opens it again and reads it back, reads "input.txt" (which the test
@ puts in DIR), then tries names that must be refused: "/etc/passwd" (absolute), "../x" (out
@ through `..`), "outside/x" and "secret-link" (symbolic links the test points out of DIR).
@ It prints one line per step (SYS_WRITE0) and exits with status 0 (SYS_EXIT_EXTENDED); each
@ result is also stored in the RAM words `results` (see below). Rebuild with
@ `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ SYS_OPEN, 0x01
    .equ SYS_CLOSE, 0x02
    .equ SYS_WRITE0, 0x04
    .equ SYS_WRITE, 0x05
    .equ SYS_READ, 0x06
    .equ SYS_FLEN, 0x0C
    .equ SYS_ERRNO, 0x13
    .equ SYS_EXIT_EXTENDED, 0x20
    .equ ADP_STOPPED_APPLICATION_EXIT, 0x20026
    .equ MODE_R, 0
    .equ MODE_W, 4
    .equ BUFFER_SIZE, 64

    @ results[i], word offsets:
    .equ R_OPEN_W, 0        @ SYS_OPEN("result.txt", "w"): the handle, or -1
    .equ R_WRITE, 4         @ SYS_WRITE: bytes not written (0)
    .equ R_FLEN, 8          @ SYS_FLEN of result.txt opened again: its length
    .equ R_READ, 12         @ SYS_READ of BUFFER_SIZE - 1 bytes: bytes not read
    .equ R_INPUT, 16        @ SYS_OPEN("input.txt", "r"): the handle, or -1
    .equ R_PASSWD, 20       @ SYS_OPEN("/etc/passwd", "r"): -1
    .equ R_ERRNO, 24        @ SYS_ERRNO after it: EACCES (13) with a base directory
    .equ R_DOTDOT, 28       @ SYS_OPEN("../x", "w"): -1
    .equ R_LINK_DIR, 32     @ SYS_OPEN("outside/x", "w"): -1
    .equ R_LINK_FILE, 36    @ SYS_OPEN("secret-link", "r"): -1

    .macro semihost op
    movs r0, #\op
    bkpt 0xab
    .endm

    .macro print text
    ldr r1, =\text
    semihost SYS_WRITE0
    .endm

    @ SYS_OPEN(name, mode) with the block in `param`; the name is `name` .. `name_end` (NUL
    @ included).
    .macro open name, mode
    ldr r1, =param
    ldr r2, =\name
    str r2, [r1]
    movs r2, #\mode
    str r2, [r1, #4]
    movs r2, #(\name\()_end - \name - 1)
    str r2, [r1, #8]
    semihost SYS_OPEN
    .endm

    @ SYS_<op>(handle in r5, buffer, size) with the block in `param`.
    .macro transfer op, buffer, size
    ldr r1, =param
    str r5, [r1]
    ldr r2, =\buffer
    str r2, [r1, #4]
    movs r2, #\size
    str r2, [r1, #8]
    semihost \op
    .endm

    .macro close_r5
    ldr r1, =param
    str r5, [r1]
    semihost SYS_CLOSE
    .endm

    @ Stores R0 in results[\slot] and prints \ok when it is -1 (refused), \bad otherwise.
    .macro expect_refused slot, ok, bad
    str r0, [r4, #\slot]
    cmn r0, #1
    bne 1f
    print \ok
    b 2f
1:  print \bad
2:
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
    @ RAM is not cleared at reset: zero the buffers, so that what was read ends in a NUL.
    ldr r0, =readback
    ldr r1, =buffers_end
    movs r2, #0
clear:
    str r2, [r0], #4
    cmp r0, r1
    blo clear
    ldr r4, =results

    @ Write result.txt.
    open result_name, MODE_W
    str r0, [r4, #R_OPEN_W]
    mov r5, r0
    cmn r0, #1
    beq not_opened
    transfer SYS_WRITE, written, (written_end - written)
    str r0, [r4, #R_WRITE]
    close_r5
    print wrote_text

    @ Read it back.
    open result_name, MODE_R
    mov r5, r0
    ldr r1, =param
    str r5, [r1]
    semihost SYS_FLEN
    str r0, [r4, #R_FLEN]
    transfer SYS_READ, readback, (BUFFER_SIZE - 1)
    str r0, [r4, #R_READ]
    close_r5
    print readback_label
    print readback

    @ Read the harness's input.txt.
    open input_name, MODE_R
    str r0, [r4, #R_INPUT]
    mov r5, r0
    cmn r0, #1
    beq input_missing
    transfer SYS_READ, input, (BUFFER_SIZE - 1)
    close_r5
    print input_label
    print input
    b refusals
input_missing:
    print input_missing_text
    b refusals

not_opened:
    print not_opened_text

refusals:
    open passwd_name, MODE_R
    expect_refused R_PASSWD, passwd_ok, passwd_bad
    movs r1, #0
    semihost SYS_ERRNO
    str r0, [r4, #R_ERRNO]
    open dotdot_name, MODE_W
    expect_refused R_DOTDOT, dotdot_ok, dotdot_bad
    open link_dir_name, MODE_W
    expect_refused R_LINK_DIR, link_dir_ok, link_dir_bad
    open link_file_name, MODE_R
    expect_refused R_LINK_FILE, link_file_ok, link_file_bad

    print done_text
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
exit_block:
    .word ADP_STOPPED_APPLICATION_EXIT
    .word 0

result_name:
    .asciz "result.txt"
result_name_end:
input_name:
    .asciz "input.txt"
input_name_end:
passwd_name:
    .asciz "/etc/passwd"
passwd_name_end:
dotdot_name:
    .asciz "../x"
dotdot_name_end:
link_dir_name:
    .asciz "outside/x"
link_dir_name_end:
link_file_name:
    .asciz "secret-link"
link_file_name_end:
written:
    .ascii "written by the chip\n"
written_end:
wrote_text:
    .asciz "wrote result.txt\n"
readback_label:
    .asciz "read back: "
input_label:
    .asciz "input.txt: "
input_missing_text:
    .asciz "input.txt not opened\n"
not_opened_text:
    .asciz "result.txt not opened: host files are off\n"
passwd_ok:
    .asciz "/etc/passwd refused\n"
passwd_bad:
    .asciz "/etc/passwd OPENED\n"
dotdot_ok:
    .asciz "../x refused\n"
dotdot_bad:
    .asciz "../x OPENED\n"
link_dir_ok:
    .asciz "outside/x refused\n"
link_dir_bad:
    .asciz "outside/x OPENED\n"
link_file_ok:
    .asciz "secret-link refused\n"
link_file_bad:
    .asciz "secret-link OPENED\n"
done_text:
    .asciz "host files done\n"

    .bss
    .align 2
    .global results
results:
    .space 40
param:
    .space 12
    .global readback
readback:
    .space BUFFER_SIZE
    .global input
input:
    .space BUFFER_SIZE
buffers_end:
